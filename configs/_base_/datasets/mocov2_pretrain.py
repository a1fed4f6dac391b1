# MoCo v2's augmentation (arXiv 2003.04297, Sec. 3 "Augmentation"; the same for SimSiam,
# arXiv 2011.10566 Sec. 4): crops of 20-100 %, colour jitter (0.4, 0.4, 0.4, 0.1) p 0.8,
# grayscale p 0.2, blur p 0.5, flip, no solarize; both views alike. The crops record their
# box, so pixel / RPN pretexts can be composed on the same views.
_base_ = ['pixpro_pretrain.py']
crop_scale = (0.2, 1.0)
view_pipeline = [
    dict(type='RandomResizedCropWithCoord', size=224, scale=crop_scale),
    dict(type='RandomFlipWithCoord', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.299)),  # BGR luma weights
    dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='MultiView', transforms=[view_pipeline, view_pipeline], num_views=[1, 1]),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(batch_size=32,  # per GPU; 8 GPUs = 256 as the paper
                        dataset=dict(pipeline=train_pipeline))
