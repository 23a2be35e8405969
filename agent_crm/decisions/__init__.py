"""agent_crm.decisions: transparent, attributed decisions over one customer's records."""

from agent_crm.decisions.attribution import attribute, percent_weights
from agent_crm.decisions.catalog import DECISION_TYPES, FEATURES, DecisionSpec, FeatureInfo, get_spec
from agent_crm.decisions.engine import decide
from agent_crm.decisions.features import FeatureValue, compute_features
from agent_crm.decisions.scoring import ScoreResult, ScoringModel, score
from agent_crm.decisions.weights import default_models, load_weights, tenant_baselines

__all__ = [
    "DECISION_TYPES",
    "FEATURES",
    "DecisionSpec",
    "FeatureInfo",
    "FeatureValue",
    "ScoreResult",
    "ScoringModel",
    "attribute",
    "compute_features",
    "decide",
    "default_models",
    "get_spec",
    "load_weights",
    "percent_weights",
    "score",
    "tenant_baselines",
]
