"""Maps for the notebooks and reports (transitional: the module moved to :mod:`impact.maps.static`)."""

from impact.maps import static as _static

# Every name of the former module stays importable from impact.maps.
globals().update({k: v for k, v in vars(_static).items() if not k.startswith("__")})
__all__ = _static.__all__
__doc__ = _static.__doc__
