"""The baseline for bench.lesson_page: a bare Flask "hello" route."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
