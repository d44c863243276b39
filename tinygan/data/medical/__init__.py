"""Medical images made by the physics: abdominal phantoms, low-dose CT, MR-like renderings, organ masks.

* :mod:`.phantoms`: random 2-D abdominal slices as tissue label maps with CT numbers.
* :mod:`.ct`: parallel-beam projection, Poisson + electronic noise, filtered back-projection
  (scikit-image, ``pip install "tinygan[medical]"``).
* :mod:`.mr`: T1/T2-like renderings with a bias field and Rician noise.
* :mod:`.segmentation`: organ masks and their one-hot form.
* :mod:`.datasets`: the paired sets ``ldct``, ``mr2ct`` and ``ctseg`` (cached on disk).
* :mod:`.formats`: real files: DICOM (pydicom), NIfTI (nibabel), 16-bit PNG/TIFF of HU.

Only numpy is needed to import this package; scikit-image is imported when a CT is simulated.
"""

from tinygan.metrics import ABDOMEN_WINDOW_HU as ABDOMEN_WINDOW  # the abdominal LDCT window, (-160, 240) HU

from .ct import (
    DEFAULT_ELECTRONIC_SIGMA,
    MU_WATER,
    SYSTEM_BLUR_PX,
    add_poisson_noise,
    default_n_angles,
    hu_to_mu,
    mu_to_hu,
    pixel_size_cm,
    project,
    reconstruct,
    simulate_ct,
)
from .datasets import (
    DEFAULT_N,
    DEFAULT_SIZE,
    HU_RANGE,
    I0_FULL,
    I0_LOW,
    LDCTSlices,
    cache_dir,
    hu_to_unit,
    load_ctseg,
    load_ldct,
    load_mr2ct,
    make_ldct,
    make_mr2ct,
    unit_to_hu,
)
from .formats import (
    DicomSlice,
    MedicalFormatError,
    nifti_slices,
    read_dicom,
    read_dicom_folder,
    read_hu_png,
    read_nifti,
    write_dicom,
    write_hu_png,
)
from .mr import bias_field, render_mr
from .phantoms import FOV_CM, TISSUE_NAMES, TISSUES, Tissue, labels_to_hu, make_phantom, make_phantoms, tissue_id
from .segmentation import ORGAN_CLASSES, labels_from_onehot, organ_mask, to_onehot

__all__ = [
    "DicomSlice",
    "MedicalFormatError",
    "nifti_slices",
    "read_dicom",
    "read_dicom_folder",
    "read_hu_png",
    "read_nifti",
    "write_dicom",
    "write_hu_png",
    "ABDOMEN_WINDOW",
    "DEFAULT_ELECTRONIC_SIGMA",
    "DEFAULT_N",
    "DEFAULT_SIZE",
    "FOV_CM",
    "HU_RANGE",
    "I0_FULL",
    "I0_LOW",
    "LDCTSlices",
    "MU_WATER",
    "ORGAN_CLASSES",
    "SYSTEM_BLUR_PX",
    "TISSUES",
    "TISSUE_NAMES",
    "Tissue",
    "add_poisson_noise",
    "bias_field",
    "cache_dir",
    "default_n_angles",
    "hu_to_mu",
    "hu_to_unit",
    "labels_from_onehot",
    "labels_to_hu",
    "load_ctseg",
    "load_ldct",
    "load_mr2ct",
    "make_ldct",
    "make_mr2ct",
    "make_phantom",
    "make_phantoms",
    "mu_to_hu",
    "organ_mask",
    "pixel_size_cm",
    "project",
    "reconstruct",
    "render_mr",
    "simulate_ct",
    "tissue_id",
    "to_onehot",
    "unit_to_hu",
]
