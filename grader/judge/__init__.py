"""The judge: test cells decided outside the learner's kernel, on data.

``notebook`` says which notebooks are judged this way and builds the judge's notebook; ``wire`` is
what crosses between the two kernels (data, or handles to what stays behind); ``peer`` is the judge's
side of the conversation (the learner's names as stand-ins); ``execute`` is the nbgrader execute step
that runs the learner's cells in the learner's kernel and each test cell in the judge's.
"""
