"""The array type of embeddings, shared by the embedder, its cache, the vector index and
ranking (here, below all of them, so none imports another for it)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
