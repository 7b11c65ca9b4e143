"""Voice prompts (适老化): offline Mandarin through espeak-ng, a recording simulator, or off."""

from hardware.voice.driver import NullVoice, SimVoice, Voice
from hardware.voice.espeak import EspeakVoice
from hardware.voice.targets import open_voice

__all__ = ["EspeakVoice", "NullVoice", "SimVoice", "Voice", "open_voice"]
