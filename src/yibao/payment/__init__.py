"""Hospital payment: total budget control (总额控制) and DIP (按病种分值付费), `yibao payment`."""
