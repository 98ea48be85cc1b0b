GRADING_ATTACK = {
    "title": "A fork bomb in one test",
    "category": "grading",
    "deserves": 2,
    "goal": "take the other tests down: fib forks up to 150 sleeping children and never returns, so that the grading run ends before reverse is tested",
    "kit": "fib's test has runs of its own: the pids limit refuses the forks, the timeout stops that run, and add and reverse pass in theirs",
    "naive": "all the tests share one run: when the timeout ends it, reverse was never tested and scores 0",
}

import os
import time


def add(a, b):
    return a + b


def fib(n):
    for _ in range(150):
        try:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        except OSError:
            pass
    time.sleep(60)


def reverse(s):
    return s[::-1]
