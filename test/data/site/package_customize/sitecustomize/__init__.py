# sitecustomize as a package: Python's import finds the folder and its __init__.
import sys
sys.lp27_customize_order = getattr(sys, 'lp27_customize_order', []) + ['sitecustomize']
