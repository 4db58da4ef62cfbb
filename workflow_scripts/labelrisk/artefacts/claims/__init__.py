"""The paper's claims, checked on a run's own results (the registry: `plan.CLAIMS`).

C1 gold labels train better students than the teacher's labels (accuracy and macro-F1).
C2 students on the teacher's labels agree less across seeds beyond what their accuracy alone
   implies (raw pairwise agreement and alpha beside).
C3 students gain less from the smallest to the largest training size on the teacher's labels.
C4 the teacher's labels cost the minority class more F1 than the majority class beyond what
   symmetric noise would (asked only where one class is clearly the minority).
C5 the consistency ensemble trains students with higher macro-F1 than entropy filtering (both
   gold costs and the shares of the gap recovered stated).
C6 the larger teacher's students are no more stable across seeds than the smaller's (the size
   order is each teacher's declared `parameters`).
C7 results vary more across seeds on the teacher's labels than on gold (6 seeds or more).
C8 (beyond the paper) gold-free calibrated labels beat the plain labels in macro-F1 without
   losing `claims.accuracy_margin` of accuracy (non-inferiority).
"""

from labelrisk.artefacts.claims.report import claims_markdown
from labelrisk.artefacts.claims.table import claims_table

__all__ = ["claims_markdown", "claims_table"]
