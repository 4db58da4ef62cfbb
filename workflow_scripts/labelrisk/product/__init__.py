"""The product of a study: the teacher labels a dataset's unlabelled rows, a student is trained on
the teacher's labels of pool + unlabelled rows with the chosen label source, exported with a
model card that states what the study measured for that choice, and predicts new texts."""
