"""rpt_core: verifiable rewards, RLVR training, multi-domain evaluation and statistics for the paper."""

__version__ = "0.1.0"
