"""PC/SC smartcards (pyscard, optional): readers, monitoring, APDUs, card profiles as data,
and virtual cards for vsmartcard's vpcd. Importing this package does not import pyscard."""
