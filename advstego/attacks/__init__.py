"""Adversarial stegos: perturb a stego so a steganalyzer calls it a cover. Outputs are uint8."""
