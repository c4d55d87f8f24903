"""The warden: SRM + FLD ensemble and CNN steganalyzers behind one detector interface."""
