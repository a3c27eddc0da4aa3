# In the task root, the first sys.path entry: imported at start, before the handler's module.
import sys
sys.lp27_customize_order = getattr(sys, 'lp27_customize_order', []) + ['sitecustomize']
