class Trainer:
    """A small stand-in for lightning.Trainer."""

    def __init__(self, max_epochs=1, accelerator="auto", devices="auto"):
        self.max_epochs = max_epochs
        self.accelerator = accelerator
        self.devices = devices

    def fit(self, model, train_dataloaders=None):
        for _ in range(self.max_epochs):
            for batch in train_dataloaders or []:
                model.training_step(batch)
