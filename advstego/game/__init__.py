"""A hider against wardens: the GAN that trains the deep hider against a discriminator
(`advstego train`), and the game against wardens who retrain (`advstego harden`, Tables 5 and 6).

gan.py      the GAN training loop (encoder + decoder against a Xu-Net discriminator)
config.py   HardenConfig: the game's settings, a hider spec and an adversary spec, each
            checked by its member's options; the harden flags made from them (FLAGS)
players.py  the players behind one move() signature: the deep hider, STC with adversarial
            costs (ADV-EMB as published or joint, Backpack)
embed.py    many STC stegos at once, spread over processes
rows.py     RoundRow: what a round measured (its metrics.json, the keys runs have written)
rules.py    the PE of fresh wardens, the choice of the final round, the min-max choice
play.py     the rounds: moves, stegos, fresh wardens, measurements, resumable
tables.py   Table 6 and the round figure
"""
