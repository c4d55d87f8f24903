"""One command from photos to the paper's tables, figures and report."""
