"""The escalation ladder: configuration (:mod:`.config`) and the pure decision (:mod:`.decide`)."""

from cobrokit.ladder.config import Config, Ladder, Stage, default_config, load_config
from cobrokit.ladder.decide import Decision, Position, decide

__all__ = ["Config", "Decision", "Ladder", "Position", "Stage", "decide", "default_config", "load_config"]
