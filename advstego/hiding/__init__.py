"""Hide a secret image in a cover, reveal it: the deep hider (its networks; game/gan.py trains
it), STC with costs, LSB."""
