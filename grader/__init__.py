"""The course's grader, built on nbgrader: ``build`` (solutions → exercises), ``check`` (a learner's
self-check) and ``grade`` (a class's submissions → grades.csv and feedback)."""
