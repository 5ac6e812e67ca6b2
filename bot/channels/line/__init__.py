"""The LINE channel on line-bot-sdk (v3, async): the only package that imports `linebot`."""
