"""``LearnedMethod``: what every learned method shares — training, loading, batched inference.

A learned method is a package ``inpaint/methods/<name>/``:

* ``network.py``: its ``nn.Module``\\ s only;
* ``system.py``: its ``inpaint.training.TrainingSystem`` (losses, optimisers, schedule);
  imports ``network``;
* ``__init__.py``: the method class, a ``LearnedMethod`` registered with
  ``@register_method``, checking its hyper-parameters without torch; it imports
  ``system`` and ``network`` inside the hooks below only (the workflow imports
  ``inpaint.methods`` to read the registry, and that must not import torch).

The method supplies its ``architecture_keys`` and three hooks, :meth:`~LearnedMethod.hparams`,
:meth:`~LearnedMethod.make_system` and :meth:`~LearnedMethod.build_networks`; this class does
the rest the same way for all of them:

``fit``
    the train split (one error when it is empty), flips off for character data
    (:data:`NO_FLIP_KINDS`), the engine settings (:data:`ENGINE_KEYS`) split from the
    hyper-parameters, ``inpaint.training.train``;
``load``
    model.json of the model's owner, the networks built from its recorded
    hyper-parameters (a config that changed an architecture key is an error,
    inpaint.methods.model_record), the weights of last.pt, the device;
``predict``
    float NHWC batches in chunks of :attr:`~LearnedMethod.predict_chunk` images, handed to
    :meth:`~LearnedMethod.forward` as NCHW views of the NHWC memory (channels-last strides)
    and the output returned as float32 NHWC.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from inpaint.errors import InpaintError
from inpaint.methods.base import InpaintMethod

if TYPE_CHECKING:  # pragma: no cover - annotations only
    import torch

    from inpaint.data.store import DatasetInfo
    from inpaint.training import Runtime, TrainConfig, TrainingSystem

NO_FLIP_KINDS = ("fonts", "chars74k")  # a mirrored character is another (or no) character
# The settings of a method's config block that configure the training engine
# (inpaint.training.TrainConfig) rather than the model: not hyper-parameters.
ENGINE_KEYS = ("steps", "batch_size", "checkpoint_every", "sample_every", "log_every", "flip")


class LearnedMethod(InpaintMethod):
    """Base of the learned methods: subclasses set ``architecture_keys`` and implement
    :meth:`make_system`, :meth:`build_networks` and, unless they override ``predict``,
    :meth:`forward`."""

    learned = True
    # images per forward pass in ``predict`` (None: the whole batch at once)
    predict_chunk: ClassVar[int | None] = 256

    def __init__(self, **params) -> None:
        super().__init__(**params)
        self.networks: dict[str, Any] = {}
        self.device = None
        self.shape: tuple[int, int] | None = None  # (size, channels) of the loaded model

    def train_mask_mixture(self, train_masks: list | None) -> list[dict]:
        """The config's ``train_masks`` mixture (inpaint.masks.mixture), checked; None: the
        default mixture (every evaluation mask kind, equally weighted)."""
        from inpaint.masks.mixture import DEFAULT_MIXTURE, check_mixture

        return check_mixture(f"methods.{self.name}.train_masks",
                             DEFAULT_MIXTURE if train_masks is None else train_masks)

    # ---- the method's hooks -----------------------------------------------------------------
    def hparams(self, info: DatasetInfo) -> dict[str, Any]:
        """The hyper-parameters trained with (model.json's ``hparams``, in the config hash):
        by default every parameter but the engine settings."""
        return {k: v for k, v in self.params.items() if k not in ENGINE_KEYS}

    def check_data(self, info: DatasetInfo, data_dir: str | os.PathLike) -> None:
        """Called once before training: raise InpaintError when the prepared dataset cannot
        train this method, resolve what else training needs (e.g. pretrained weights)."""

    @abstractmethod
    def make_system(self, runtime: Runtime, hp: dict[str, Any], info: DatasetInfo,
                    config: TrainConfig) -> TrainingSystem:
        """The method's training system for one run (imports ``system``)."""

    def sample_images(self, data_dir: str | os.PathLike, images: np.ndarray,
                      config: TrainConfig) -> np.ndarray | None:
        """The images of the sample grids (None: the first training images)."""
        return None

    def after_training(self, model_dir: str | os.PathLike, info: DatasetInfo,
                       config: TrainConfig) -> None:
        """Add to the finished model directory (e.g. model.json entries outside hparams)."""

    @abstractmethod
    def build_networks(self, hp: dict[str, Any], size: int, channels: int
                       ) -> dict[str, torch.nn.Module]:
        """The networks to load from last.pt, by their checkpoint names, built from the
        trained model's hyper-parameters ``hp`` (imports ``network``)."""

    def to_device(self, net: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        return net.to(device)

    def forward(self, x: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        """Predictions (N, C, H, W) in [0, 1] for images ``x`` (N, C, H, W) in [0, 1] with
        channels-last strides and masks ``known`` (N, 1, H, W), 1 = known."""
        raise NotImplementedError

    # ---- training -----------------------------------------------------------------------------
    def flip(self, dataset_kind: str) -> bool:
        """Random horizontal flips: as configured, never for characters."""
        return bool(self.params["flip"]) and dataset_kind not in NO_FLIP_KINDS

    def fit(self, data_dir: str | os.PathLike, model_dir: str | os.PathLike, **engine) -> None:
        """Train on the TRAIN split of the prepared dataset ``data_dir`` into ``model_dir``;
        ``engine``: TrainConfig settings from the command line (seed, device, threads)."""
        from inpaint.data.store import load_info, load_split
        from inpaint.training import TrainConfig, train

        info = load_info(data_dir)
        _, images = load_split(data_dir, "train")
        if len(images) == 0:
            raise InpaintError(f"{data_dir}: the train split is empty; {self.name} needs "
                               "training images")
        self.check_data(info, data_dir)
        block = {**{k: self.params[k] for k in ENGINE_KEYS}, **self.hparams(info),
                 "flip": self.flip(info.kind)}
        config = TrainConfig.from_params(self.model_owner(), block, **engine)
        hp = dict(config.hparams)
        train(lambda runtime: self.make_system(runtime, hp, info, config), images, model_dir,
              config, sample_images=self.sample_images(data_dir, images, config))
        self.after_training(model_dir, info, config)

    # ---- loading and completion ---------------------------------------------------------------
    def load(self, model_dir: str | os.PathLike, device: str = "auto") -> None:
        """Load the trained model of ``model_dir`` (of this method's model owner) for
        inference on ``device``; its networks come from model.json's hyper-parameters."""
        from inpaint.methods.model_record import trained_architecture
        from inpaint.training import LAST_CHECKPOINT, load_weights, resolve_device

        record = trained_architecture(model_dir, self, self.architecture_keys)
        size, channels = int(record["image_size"][0]), int(record["channels"])
        nets = self.build_networks(record["hparams"], size, channels)
        load_weights(Path(model_dir) / LAST_CHECKPOINT, nets, expected={
            "method": self.model_owner(), "image_size": list(record["image_size"]),
            "channels": channels, "config_hash": record["config_hash"]})
        self.device = resolve_device(device)
        for name, net in nets.items():
            net = self.to_device(net, self.device).eval()
            for param in net.parameters():
                param.requires_grad_(False)  # inference only
            nets[name] = net
        self.networks, self.shape = nets, (size, channels)

    def check_loaded(self) -> None:
        if not self.networks:
            raise InpaintError(f"method {self.name!r}: load() a trained model before predicting")

    def check_input(self, images: np.ndarray) -> None:
        """InpaintError for images of another size or channel count than the model was
        trained on (a method that adapts them overrides this)."""
        size, channels = self.shape
        if tuple(images.shape[1:]) != (size, size, channels):
            raise InpaintError(f"{self.name}: the model was trained on {size}x{size}x{channels} "
                               f"images, got {'x'.join(map(str, images.shape[1:]))}")

    def predict(self, images: np.ndarray, known: np.ndarray) -> np.ndarray:
        import torch

        self.check_loaded()
        self.check_input(images)
        chunk = self.predict_chunk or max(len(images), 1)
        out = []
        with torch.no_grad():
            for start in range(0, len(images), chunk):
                x = torch.from_numpy(np.ascontiguousarray(images[start:start + chunk]))
                x = x.permute(0, 3, 1, 2).to(self.device, torch.float32)
                k = torch.from_numpy(known[start:start + chunk, None].astype(np.float32))
                y = self.forward(x, k.to(self.device))
                out.append(y.float().permute(0, 2, 3, 1).cpu())
        if not out:
            return np.empty(images.shape, dtype=np.float32)
        return torch.cat(out).numpy().astype(np.float32)

