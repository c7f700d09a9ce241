"""LoRA files: check a ``.safetensors`` adapter before a show, and compare what Scope
has with what the config and the show files ask for (``perform loras``)."""
