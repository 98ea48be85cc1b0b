"""The grading tests: the fixtures folder holds an instructor's tests file, not pytest's."""

collect_ignore_glob = ["fixtures/*"]
