"""Pages of the pipeline: `board` holds the Kanban board and the list, `deal` one opportunity
and the work on it (log progress, milestones, gates, closing, the decision chain)."""
