import sys

# True when imported before the handler's module, as an agent must be to patch what it imports.
before_handler = 'platform' not in sys.modules
