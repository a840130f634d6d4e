"""inpaint: a reproducible workflow for image-inpainting research."""
__version__ = "0.1.0"
