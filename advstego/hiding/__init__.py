"""Hide a secret image in a cover, reveal it: the GAN (encoder/decoder/discriminator) and LSB."""
