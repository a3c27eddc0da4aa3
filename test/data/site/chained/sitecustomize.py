# Puts a folder on sys.path that holds usercustomize: it is imported from there, as site.main() would.
import os
import sys
sys.lp27_customize_order = getattr(sys, 'lp27_customize_order', []) + ['sitecustomize']
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'more'))
