# configs/_base_/schedules/sgd_cosine_200e.py shortened for the CPU demos: 12 epochs, lr 0.03
# at batch 8.
_base_ = ['sgd_cosine_200e.py']
max_epochs = 12
auto_scale_lr = dict(base_batch_size=8)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0,
                        end=max_epochs, convert_to_iter_based=True)]
train_cfg = dict(max_epochs=max_epochs)
