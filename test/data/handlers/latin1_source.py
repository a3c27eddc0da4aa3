# -*- coding: latin-1 -*-
# A module whose source is Latin-1: compiling it needs the codec registry, which start-up left for later.
TEXT = u"café crème"


def handler(event, context):
    return TEXT
