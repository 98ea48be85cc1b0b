GRADING_ATTACK = {
    "title": "An answer equal to everything",
    "category": "grading",
    "deserves": 0,
    "goal": "full marks with no working code: every function returns an object whose __eq__ is always true",
    "kit": "the answer must cross the channel as JSON; the object is not JSON data, so each test is an error",
    "naive": "the test compares the live object in the student's process: == is the student's __eq__, every assert holds",
}


class Same:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


def add(a, b):
    return Same()


def fib(n):
    return Same()


def reverse(s):
    return Same()
