# An ImportError inside the module is ignored silently, as site does.
import lp27_no_such_module
