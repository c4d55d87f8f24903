"""Package a training run's model as a model file with its provenance (public API only).

    .venv/bin/python scripts/ship_model.py RUN OUT NAME CHANNELS "NOTE"

e.g. RUN = an `advstego train` folder, OUT = advstego/models/gray-v2.safetensors (a shipped
model: then add it to hiding/model.py's SHIPPED) or any path. With CHANNELS 3 the gray
network is packaged to run on each colour channel with its own key.
"""

import json
import sys
from pathlib import Path

from advstego.hiding.model import HidingModel


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    run, out, name, channels, note = sys.argv[1:6]
    run = Path(run)
    model = HidingModel.load(run / "model.safetensors")
    train = json.loads((run / "config.json").read_text())["train"]
    if int(channels) == 3:
        model = model.per_channel()
    model.config = {**{k: v for k, v in model.config.items() if k != "steps"}, "name": name,
                    "trained_on": note, "train_preset": train["preset"],
                    "train_steps": model.config.get("steps"), "batch": train["batch"]}
    model.save(out)
    print(out, model.config)


if __name__ == "__main__":
    main()
