import lp27_preloaded  # noqa: F401  (the agent, loaded before the handler's module)
