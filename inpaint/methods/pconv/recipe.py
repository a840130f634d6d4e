"""pconv's training recipe, torch-free: the paper's loss terms and weights, the fine-tuning
phase, where the VGG16 weights of the perceptual and style terms come from, and what
model.json records of all this (beside the paper's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inpaint.io import read_json, sha256_file

FINETUNE_SHARE = 1 / 3  # default fine-tuning phase: the last third of the steps
# The paper's loss terms and weights (Liu et al. 2018, eq. 7); model.json records both these
# and the terms a run trained with (inpaint.evaluation.loss_notes footnotes rows that lack some).
PAPER_LOSS = {"valid": 1.0, "hole": 6.0, "perc": 0.05, "style_out": 120.0,
              "style_comp": 120.0, "tv": 0.1}
VGG_TERMS = ("perc", "style_out", "style_comp")


def finetune_steps(value: int | None, steps: int) -> int:
    """Steps of the fine-tuning phase: ``value``, or :data:`FINETUNE_SHARE` of ``steps``."""
    return int(steps * FINETUNE_SHARE) if value is None else value


def loss_weights(params: dict) -> dict[str, float]:
    """Weight of every paper loss term in a method's hyper-parameters (0: not trained)."""
    return {"valid": params["w_valid"], "hole": params["w_hole"], "perc": params["w_perc"],
            "style_out": params["w_style"], "style_comp": params["w_style"],
            "tv": params["w_tv"]}


def wants_vgg(params: dict) -> bool:
    """Whether the perceptual or style terms are asked for (and so VGG16 weights needed)."""
    return bool(params["perceptual"]) and any(loss_weights(params)[t] for t in VGG_TERMS)


def vgg16_weights_status(path: str | None, enabled: bool = True) -> tuple[Path | None, str]:
    """(weight file or None, "on: ..." / "off: <reason>") for the perceptual and style losses.

    An explicit ``path`` must exist; otherwise torchvision's cache, then the converted
    resources/pretrained/vgg16_imagenet.pt (inpaint.pretrained.imagenet.resolve_path),
    without importing torch.
    """
    from inpaint.pretrained.imagenet import find_weights, resolve_path

    if not enabled:
        return None, ("off: disabled in the config (perceptual: false or w_perc = "
                      "w_style = 0)")
    file = find_weights("vgg16", path, "vgg16_weights")
    if file is not None:
        return file, f"on: VGG16 ImageNet weights {file}"
    return None, (f"off: no VGG16 ImageNet weights (neither vgg16_weights in the config nor "
                  f"{resolve_path('vgg16')}; make it with `inpaint fetch-weights imagenet`); "
                  f"trained without L_perc and L_style")


def trained_terms(weights: dict[str, float], vgg_on: bool) -> dict[str, float]:
    """The loss terms a run trains with, and their weights."""
    return {name: float(w) for name, w in weights.items()
            if w and (vgg_on or name not in VGG_TERMS)}


def training_record(params: dict[str, Any], steps: int, vgg_path: Path | None,
                    status: str) -> dict[str, Any]:
    """What model.json says about the loss and schedule trained, beside the paper's."""
    ft = finetune_steps(params["finetune_steps"], steps)
    vgg = None
    if vgg_path is not None:
        provenance = vgg_path.with_suffix(".json")
        vgg = {"file": str(vgg_path), "sha256": sha256_file(vgg_path),
               "provenance": (read_json(provenance, "VGG16 provenance")
                              if provenance.is_file() else None)}
    weights = loss_weights(params)
    reasons = [f"perceptual and style losses {status}"] if vgg_path is None else []
    zeroed = [term for term, weight in weights.items() if not weight]
    if zeroed:
        reasons.append(f"weight 0 in the config: {', '.join(zeroed)}")
    return {
        "perceptual_loss": status,
        "loss_terms": trained_terms(weights, vgg_path is not None),
        "paper_loss_terms": dict(PAPER_LOSS),
        "loss_terms_reason": "; ".join(reasons) or None,
        "vgg16": vgg,
        "finetune": {"steps": ft, "first_step": steps - ft + 1 if ft else None,
                     "lr": params["finetune_lr"], "lr_before": params["lr"],
                     "encoder_batch_norm": "frozen"},
    }
