GRADING_ATTACK = {
    "title": "A memory hog in one test",
    "category": "grading",
    "deserves": 2,
    "goal": "take the other tests down: fib allocates up to 300 MB so that the OOM killer ends the grading process before reverse is tested",
    "kit": "the OOM killer ends fib's run only (stopped by memory); add and reverse pass in runs of their own",
    "naive": "one process runs every test: the OOM killer takes it, and reverse is never tested",
}

def add(a, b):
    return a + b


def fib(n):
    block = []
    for _ in range(300):
        block.append(bytearray(1024 * 1024))
    return len(block)


def reverse(s):
    return s[::-1]
