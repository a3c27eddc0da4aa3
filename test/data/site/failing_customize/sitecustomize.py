# site.main() reports a failing sitecustomize on stderr and goes on.
raise ValueError('sitecustomize broke')
