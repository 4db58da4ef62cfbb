"""Tables, figures, the claims check and the paper's numbers beside the run's."""
