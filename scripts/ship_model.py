"""Copy a training run's model into the package as a shipped model, with its provenance.

    .venv/bin/python scripts/ship_model.py RUN advstego/models/gray-v2.safetensors v2-gray 1 "NOTE"
    .venv/bin/python scripts/ship_model.py RUN advstego/models/rgb-v2.safetensors v2-rgb 3 "NOTE"

With 3 channels the gray network is shipped to run on each channel with its own key.
"""

import json
import sys

from advstego.hiding.model import HidingModel


def main():
    run, out, name, channels, note = sys.argv[1:6]
    gray = HidingModel.load(f"{run}/model.safetensors")
    cfg = json.load(open(f"{run}/config.json"))
    config = {**gray.config, "name": name, "trained_on": note,
              "train_preset": cfg["train"]["preset"], "train_steps": gray.config.get("steps"),
              "batch": cfg["train"]["batch"]}
    config.pop("steps", None)
    per_channel = int(channels) == 3
    if per_channel:
        config.update(cover_channels=3, secret_channels=3, per_channel=True)
    model = HidingModel(config)
    (model.encoder.net if per_channel else model.encoder).load_state_dict(gray.encoder.state_dict())
    (model.decoder.net if per_channel else model.decoder).load_state_dict(gray.decoder.state_dict())
    model.save(out)
    print(out, model.config)


if __name__ == "__main__":
    main()
