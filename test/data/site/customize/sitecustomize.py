# Imported at start (its folder is in PYTHONPATH), before the handler's module.
import sys
sys.lp27_customize_order = getattr(sys, 'lp27_customize_order', []) + ['sitecustomize']
# site.main() ran it before removing sys.setdefaultencoding; the bootstrap then set utf-8 anyway.
sys.setdefaultencoding('latin-1')
