"""`digest triage`: a day's papers in a full-screen terminal interface, one key per decision.

- :mod:`digest.triage.settings`: ``[triage]`` in the config (the keep tag);
- :mod:`digest.triage.session`: what triage does, without any interface: the papers
  to triage, the action of every key (events appended under the store lock when the
  key is pressed) and undo;
- :mod:`digest.triage.ui`: the Textual application over a session (the only module
  that imports textual; loaded by the ``triage`` command alone).
"""
