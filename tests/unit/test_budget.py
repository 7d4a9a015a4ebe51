from wordbridge.train.budget import TimeBudget


class Clock:
    def __init__(self):
        self.now = 50.0

    def __call__(self):
        return self.now


def test_budget_elapsed_over_and_schedule_position():
    clock = Clock()
    budget = TimeBudget(max_minutes=2.0, clock=clock)
    clock.now += 30.0
    assert budget.elapsed() == 30.0 and not budget.over(30.0) and budget.over(120.0)
    assert budget.schedule_pos(30.0) == 0.25 and budget.schedule_pos(500.0) == 1.0
    budget.pos0 = 0.5  # a resumed run spends what was left of the schedule over its own budget
    assert budget.schedule_pos(60.0) == 0.75
    budget.restart()
    assert budget.elapsed() == 0.0


def test_no_budget_or_step_schedule():
    assert TimeBudget(None).schedule_pos(10.0) is None and not TimeBudget(None).over(1e9)
    assert TimeBudget(1.0, schedule_time=False).schedule_pos(10.0) is None
