import sys
sys.lp27_customize_order = getattr(sys, 'lp27_customize_order', []) + ['usercustomize']
