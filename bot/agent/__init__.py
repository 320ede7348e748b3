"""The agent: planner, policy, executor and the plan state machine."""
