"""The training engine shared by the learned methods (see ``engine.train``)."""

from inpaint.training.checkpoint import load_checkpoint, load_weights, save_checkpoint
from inpaint.training.device import (
    AmpPolicy,
    Runtime,
    Scaler,
    choose_amp,
    configure_threads,
    make_runtime,
    resolve_device,
)
from inpaint.training.engine import (
    LAST_CHECKPOINT,
    LOG_FILE,
    LOSS_CURVE,
    MODEL_JSON,
    SAMPLES_DIR,
    TrainConfig,
    TrainResult,
    train,
)
from inpaint.training.sampler import ImageSampler
from inpaint.training.seeding import derive_seed
from inpaint.training.system import TrainingSystem

__all__ = [
    "LAST_CHECKPOINT",
    "LOG_FILE",
    "LOSS_CURVE",
    "MODEL_JSON",
    "SAMPLES_DIR",
    "AmpPolicy",
    "ImageSampler",
    "Runtime",
    "Scaler",
    "TrainConfig",
    "TrainResult",
    "TrainingSystem",
    "choose_amp",
    "configure_threads",
    "derive_seed",
    "load_checkpoint",
    "load_weights",
    "make_runtime",
    "resolve_device",
    "save_checkpoint",
    "train",
]
