"""Second-generation ID card readers (GA 467 SAM protocol): codec, text block, driver,
transports and a simulator. Import `open_idcard_reader` from here."""

from hardware.idcard.driver import IdCardReader
from hardware.idcard.model import CodeLabel, IdCard, PhotoDecoder
from hardware.idcard.targets import open_idcard_reader

__all__ = ["CodeLabel", "IdCard", "IdCardReader", "PhotoDecoder", "open_idcard_reader"]
