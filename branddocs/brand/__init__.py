"""A tenant's brand: the model, its colours, the loader of `brands/<id>.yml`, the links it may publish, its schema."""

from __future__ import annotations

from branddocs.brand.colours import contrast_ratio
from branddocs.brand.links import unsafe_links
from branddocs.brand.loader import MAX_BRAND_BYTES, find_brand_files, load_brand, load_brands, shared_image_folders
from branddocs.brand.lookalikes import lookalike_brands
from branddocs.brand.model import (
    BRAND_ID_RE,
    SECRET_WORDS,
    Api,
    Brand,
    BrandError,
    Checks,
    Features,
    Theme,
    derive_key_env,
    material_languages,
)
from branddocs.brand.schema import brand_schema

__all__ = [
    "BRAND_ID_RE",
    "MAX_BRAND_BYTES",
    "SECRET_WORDS",
    "Api",
    "Brand",
    "BrandError",
    "Checks",
    "Features",
    "Theme",
    "brand_schema",
    "contrast_ratio",
    "derive_key_env",
    "find_brand_files",
    "load_brand",
    "load_brands",
    "lookalike_brands",
    "material_languages",
    "shared_image_folders",
    "unsafe_links",
]
