"""The paper's claims, checked on a run's own results.

C1 gold labels train better students than the teacher's labels (accuracy and macro-F1).
C2 students on the teacher's labels agree less across seeds (pairwise agreement and alpha).
C3 students gain less from the smallest to the largest training size on the teacher's labels.
C4 the teacher's labels cost the minority class more F1 than the majority class (asked only
   where the smallest class is below `claims.minority_below` of the pool).
C5 the consistency ensemble recovers more of the gold-vs-LLM macro-F1 gap than entropy
   filtering (both gold costs stated).
C6 the larger teacher's students are no more stable across seeds than the smaller's (the size
   order is each teacher's declared `parameters`).
C7 results vary more across seeds on the teacher's labels than on gold.
C8 (beyond the paper) gold-free calibrated labels recover part of the gap: their students beat
   those on the plain labels in macro-F1, without losing accuracy.
"""

from labelrisk.artefacts.claims.report import claims_markdown
from labelrisk.artefacts.claims.table import claims_table

__all__ = ["claims_markdown", "claims_table"]
