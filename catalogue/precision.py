"""What a model's precision and weight type mean: the one place for their facts.

Bits per weight (the size limit and the GPU memory a run needs), whether weights are quantised,
the dtype the harness computes in, and the packages a worker needs to load them. Nothing here
touches the database or imports torch.
"""

import re
from dataclasses import dataclass

from django.db import models


class Precision(models.TextChoices):
    FLOAT16 = "float16", "float16"
    BFLOAT16 = "bfloat16", "bfloat16"
    FLOAT32 = "float32", "float32"
    INT8 = "8bit", "8bit"
    INT4 = "4bit", "4bit"
    GPTQ = "GPTQ", "GPTQ"


class WeightType(models.TextChoices):
    ORIGINAL = "Original"
    DELTA = "Delta"
    ADAPTER = "Adapter"


@dataclass(frozen=True)
class PrecisionFacts:
    bits: int  # per weight; GPTQ's default when the checkpoint does not say
    dtype: str  # what the harness computes in
    bitsandbytes: bool = False  # loaded by the harness through a bitsandbytes quantization_config
    packages: tuple[str, ...] = ()  # needed on the worker beyond torch and transformers

    @property
    def quantized(self) -> bool:
        return self.bits < 16


FACTS: dict[str, PrecisionFacts] = {
    Precision.FLOAT32: PrecisionFacts(bits=32, dtype="float32"),
    Precision.FLOAT16: PrecisionFacts(bits=16, dtype="float16"),
    Precision.BFLOAT16: PrecisionFacts(bits=16, dtype="bfloat16"),
    Precision.INT8: PrecisionFacts(bits=8, dtype="float16", bitsandbytes=True, packages=("bitsandbytes",)),
    Precision.INT4: PrecisionFacts(bits=4, dtype="float16", bitsandbytes=True, packages=("bitsandbytes",)),
    Precision.GPTQ: PrecisionFacts(bits=4, dtype="float16", packages=("optimum", "gptqmodel")),
}
UNQUANTIZED = tuple(p for p, facts in FACTS.items() if not facts.quantized)


def weight_bits(precision: str, quantization: str = "") -> int:
    """Bits a weight takes in ``precision``; for GPTQ as the checkpoint says ("gptq 8-bit"), else its default."""
    found = re.search(r"(\d+)-bit", quantization or "") if precision == Precision.GPTQ else None
    return int(found[1]) if found else FACTS[precision].bits
